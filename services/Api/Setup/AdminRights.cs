namespace Spokes.Api.Setup;

/// <summary>
/// What each administrator role may change on the admin page. Both roles sign in and see the settings; an
/// organisation administrator changes the server profile only, as the network, the identity provider and the licence
/// decide how the instance is reached and who may sign in at all.
/// </summary>
public static class AdminRights
{
    public static bool MayChange(AdminRole role, string section) => role == AdminRole.Global || section == "profile";
}
