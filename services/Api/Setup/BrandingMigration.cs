namespace Spokes.Api.Setup;

/// <summary>
/// At start, moves a logo and icon that a version before Autumn kept in the data folder (<c>branding/</c>, named by
/// <see cref="ServerSettings.LogoFile"/> and <see cref="ServerSettings.IconFile"/>) into Autumn, so an upgraded
/// instance keeps them. Autumn may start after the Api: until it answers, the old files stay and the move is tried
/// again, waiting longer each time.
/// </summary>
public sealed class BrandingMigration(SetupState state, IServiceScopeFactory scopes, ILogger<BrandingMigration> logger, TimeProvider time)
    : BackgroundService
{
    private static readonly TimeSpan FirstWait = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var wait = FirstWait;
        while (!await TryMigrateAsync(stoppingToken))
        {
            await Task.Delay(wait, time, stoppingToken);
            wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, LongestWait.Ticks));
        }
    }

    /// <summary>Moves what is left to move; false when Autumn could not take it yet.</summary>
    public async Task<bool> TryMigrateAsync(CancellationToken cancellationToken)
    {
        var settings = state.Current;
        if (settings.LogoFile is null && settings.IconFile is null) return true;
        using var scope = scopes.CreateScope();
        var branding = scope.ServiceProvider.GetRequiredService<Branding>();
        try
        {
            if (settings.LogoFile is { } logo) await branding.MigrateAsync(BrandingKind.Logo, logo, cancellationToken);
            if (settings.IconFile is { } icon) await branding.MigrateAsync(BrandingKind.Icon, icon, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is Files.FileServerUnavailableException or Grpc.Core.RpcException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("The logo and icon of the data folder wait for Autumn to move into it: {Reason}", e.Message);
            return false;
        }
    }
}
