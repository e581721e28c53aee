namespace Spokes.Api.Setup;

/// <summary>The wizard's steps in order; <see cref="ServerSettings.Step"/> is the furthest one reached.</summary>
public static class SetupSteps
{
    public const int Eula = 0, Profile = 1, Licence = 2, Network = 3, Identity = 4, Admins = 5, Done = 6;

    public static readonly string[] Names = ["eula", "profile", "licence", "network", "identity", "admins"];

    public static readonly string[] Titles = ["Licence agreement", "Server profile", "Licence", "Network", "Identity", "Administrators"];
}
