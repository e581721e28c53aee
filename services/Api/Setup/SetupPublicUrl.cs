using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Spokes.Api.Configuration;

namespace Spokes.Api.Setup;

/// <summary>
/// The public URL chosen in the wizard, the setup file or on the admin page is the Api's <see cref="ApiOptions.PublicUrl"/>
/// over the one the AppHost passed (<c>--public-url</c>, the default): the root configuration, mails and voice addresses
/// follow it, and a change on the admin page applies at once.
/// </summary>
public sealed class SetupPublicUrl(SetupState state) : IPostConfigureOptions<ApiOptions>, IOptionsChangeTokenSource<ApiOptions>
{
    public string? Name => Options.DefaultName;

    public void PostConfigure(string? name, ApiOptions options)
    {
        if (state.Required && state.Current.Network.PublicUrl is { } chosen) options.PublicUrl = chosen;
    }

    public IChangeToken GetChangeToken() => state.WatchChanges();
}
