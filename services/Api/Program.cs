using Spokes.Api;
using Spokes.Api.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApiServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapRootApi();

app.Run();

// Lets the service tests start this app with WebApplicationFactory<Program>.
public partial class Program;
