using Spokes.Api.Errors;
using Spokes.Api.Storage;

namespace Spokes.Api.Setup;

/// <summary>
/// What an instance without a verified licence allows (<see cref="LicenseFile.DemoLimits"/> tells the operator):
/// <see cref="Accounts"/> accounts, <see cref="Servers"/> servers and calls of <see cref="CallParticipants"/> people.
/// Only the AppHost's instances, which run the setup, have a licence or none; an Api run on its own has no limits.
/// </summary>
public sealed class DemoMode(SetupState setup, IAccountStore accounts, IServerStore servers)
{
    public const int Accounts = 10;
    public const int Servers = 3;
    public const int CallParticipants = 4;

    public bool Applies => setup.Required && setup.Current.License is null;

    /// <summary>Before a new account: refused with authifier's <c>OperationFailed</c>, its one refusal of a sign-up the instance does not take.</summary>
    public async Task RequireRoomForAccountAsync(CancellationToken cancellationToken)
    {
        if (Applies && await CountAccountsAsync(cancellationToken) >= Accounts) throw StoatException.OperationFailed();
    }

    /// <summary>Whether another account fits, for the paths that answer in words (the OIDC login page).</summary>
    public async Task<bool> HasRoomForAccountAsync(CancellationToken cancellationToken) =>
        !Applies || await CountAccountsAsync(cancellationToken) < Accounts;

    /// <summary>Before a new server: Stoat's <c>TooManyServers</c> with the demo's maximum.</summary>
    public async Task RequireRoomForServerAsync(CancellationToken cancellationToken)
    {
        if (Applies && await servers.CountAsync(cancellationToken) >= Servers) throw StoatException.TooManyServers(Servers);
    }

    /// <summary>Whether one more person may join a call that has <paramref name="participants"/> already.</summary>
    public bool HasRoomInCall(long participants) => !Applies || participants < CallParticipants;

    private async Task<int> CountAccountsAsync(CancellationToken cancellationToken) =>
        (await accounts.ListAsync(null, Accounts, cancellationToken)).Count;
}
