using Spokes.Api;
using Spokes.Api.Apis;
using Spokes.Api.Errors;
using Spokes.Api.Http;
using Spokes.Api.RateLimits;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApiServices();

var app = builder.Build();

app.UseStoatErrors();
app.UseStoatRateLimits();
app.UseStoatJsonBodies();
app.UseRouting();
app.MapDefaultEndpoints();
app.MapRootApi();
app.MapAuthApi();
app.MapOnboardApi();
app.MapUsersApi();
app.MapServersApi();
app.MapChannelsApi();
app.MapInvitesApi();

app.Run();

// Lets the service tests start this app with WebApplicationFactory<Program>.
public partial class Program;
