using Spokes.Api;
using Spokes.Api.Apis;
using Spokes.Api.Connections;
using Spokes.Api.Encryption;
using Spokes.Api.Errors;
using Spokes.Api.Http;
using Spokes.Api.Identity;
using Spokes.Api.Oidc;
using Spokes.Api.RateLimits;
using Spokes.Api.Setup;
using Spokes.Api.Voice;

if (args is [SignupInviteCommand.Name, .. var command])
{
    Environment.ExitCode = await SignupInviteCommand.RunAsync(command);
    return;
}
if (args is [MasterPasswordCommand.Name, .. var rotation])
{
    Environment.ExitCode = await MasterPasswordCommand.RunAsync(rotation);
    return;
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddStoatErrors(StoatErrorHandling.Translate);
builder.AddApiServices();

var app = builder.Build();

app.UseStoatErrors();
app.UseForClients(rest => rest.UseStoatRateLimits().UseStoatJsonBodies());
app.UseRouting();
app.MapDefaultEndpoints();
app.MapRootApi();
app.MapAuthApi();
app.MapMfaApi();
app.MapOnboardApi();
app.MapUsersApi();
app.MapServersApi();
app.MapChannelsApi();
app.MapVoiceApi();
app.MapInvitesApi();
app.MapMessagesApi();
app.MapSyncApi();
app.MapBotsApi();
app.MapSafetyApi();
app.MapPushApi();
// The first-start wizard, the admin page and external login: small server-rendered pages.
app.MapSetupPages();
app.MapAdminPages();
app.MapOidcApi();
// As in Stoat, webhooks exist only where the operator turned them on.
if (app.Configuration.GetValue<bool>("Api:WebhooksEnabled")) app.MapWebhooksApi();
// For the Events service: session auth, Ready and server views, on the Api's HTTP/2 listener.
app.MapInternalGrpc();

app.Run();

// Lets the service tests start this app with WebApplicationFactory<Program>.
public partial class Program;
