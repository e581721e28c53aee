using Spokes.Gateway;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddStoatErrors();
builder.AddGatewayServices();

var app = builder.Build();

app.UseStoatErrors();
// Before any route forwards them, preflights are answered here; every answer is marked for the browser.
app.UseCors();

app.MapDefaultEndpoints();
app.MapWellKnownApi();
app.MapReverseProxy();

app.Run();

public partial class Program;
