using Spokes.Gateway;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapWellKnownApi();
app.MapReverseProxy();

app.Run();

public partial class Program;
