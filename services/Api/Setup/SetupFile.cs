using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace Spokes.Api.Setup;

/// <summary>
/// The answers of the wizard as one JSON file (<c>SPOKES_SETUP_FILE</c>; deployed, the text of the
/// <c>setup-answers</c> secret), for automated deployments: applied
/// before the Api takes requests, once; an instance already set up ignores it. A file that cannot be applied stops
/// the Api with the reason, as a half-configured instance helps nobody.
/// </summary>
public sealed class SetupFile(SetupState state, SetupAccounts accounts, IOptions<SetupOptions> options, TimeProvider clock, ILogger<SetupFile> logger)
    : IHostedService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public sealed record Answers(
        bool AcceptEula,
        string? ServerName,
        string? PublicUrl,
        IdentityMode Identity = IdentityMode.Builtin,
        OidcAnswers? Oidc = null,
        NetworkAnswers? Network = null,
        string? License = null,
        AdminAnswers? Admin = null,
        IReadOnlyList<AdminAnswers>? Admins = null);

    public sealed record OidcAnswers(string? Issuer, string? ClientId, string? ClientSecret, bool BuiltinAccounts = true);

    public sealed record NetworkAnswers(int LivekitTcpPort = NetworkSettings.DefaultTcpPort, int LivekitUdpStart = NetworkSettings.DefaultUdpStart,
        int LivekitUdpEnd = NetworkSettings.DefaultUdpEnd);

    public sealed record AdminAnswers(string? Email, string? Password, AdminRole Role = AdminRole.Global);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var given = options.Value;
        var source = given.File is { Length: > 0 } path ? $"the setup file {path} (SPOKES_SETUP_FILE)"
            : given.Answers is { Length: > 0 } ? "the setup answers of Setup__Answers" : null;
        if (source is null || !state.Required) return;
        if (state.Current.Completed)
        {
            logger.LogInformation("Setup is done already; {Source} is not applied again", source);
            return;
        }
        try
        {
            var (text, folder) = given.File is { Length: > 0 } file
                ? (await File.ReadAllBytesAsync(file, cancellationToken), Path.GetDirectoryName(Path.GetFullPath(file))!)
                : (System.Text.Encoding.UTF8.GetBytes(given.Answers!), given.DataFolder ?? Directory.GetCurrentDirectory());
            var answers = JsonSerializer.Deserialize<Answers>(text, Json) ?? throw new SetupAnswerException("The file is empty.");
            var settings = await ApplyAsync(answers, folder, cancellationToken);
            state.Update(_ => settings);
            logger.LogInformation("Setup completed from {Source}", source);
        }
        catch (Exception e) when (e is SetupAnswerException or JsonException or IOException)
        {
            throw new InvalidOperationException($"Setup: {source} cannot be applied: {e.Message}", e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The settings the answers make; every answer not given takes its default.</summary>
    public async Task<ServerSettings> ApplyAsync(Answers answers, string folder, CancellationToken cancellationToken)
    {
        if (!answers.AcceptEula) throw new SetupAnswerException("acceptEula must be true: the licence agreement has to be accepted.");
        var network = answers.Network ?? new NetworkAnswers();
        var oidc = answers.Identity == IdentityMode.Oidc && answers.Oidc is { } o ? SetupRules.Oidc(o.Issuer, o.ClientId, o.ClientSecret) : null;
        var identity = SetupRules.Identity(answers.Identity, answers.Oidc?.BuiltinAccounts ?? true, oidc);
        var license = answers.License is { Length: > 0 } licensePath
            ? LicenseFile.Verify(await File.ReadAllBytesAsync(Path.Combine(folder, licensePath), cancellationToken), options.Value.LicenseVerifyingKey,
                DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime))
            : null;
        var settings = new ServerSettings
        {
            EulaAccepted = true,
            ServerName = SetupRules.ServerName(answers.ServerName),
            Network = answers.PublicUrl is null
                ? SetupRules.LiveKitPorts(network.LivekitTcpPort, network.LivekitUdpStart, network.LivekitUdpEnd)
                : SetupRules.Network(answers.PublicUrl, network.LivekitTcpPort, network.LivekitUdpStart, network.LivekitUdpEnd),
            Identity = identity,
            License = license,
        };
        var named = (answers.Admin is { } one ? [one] : Array.Empty<AdminAnswers>()).Concat(answers.Admins ?? []).ToList();
        if (!named.Any(a => a.Role == AdminRole.Global)) throw new SetupAnswerException("admin: at least one global administrator (e-mail and password) is needed.");
        var admins = new List<AdminEntry>();
        foreach (var admin in named) admins.Add(await accounts.AdminAsync(admin.Email, admin.Password, admin.Role, cancellationToken));
        return settings with { Admins = admins, Completed = true, Step = SetupSteps.Done };
    }
}
