using Spokes.Contracts.Tunnels;
using Spokes.TunnelEdge;

SocketCompletions.RunInline();
var builder = WebApplication.CreateBuilder(args);
builder.AddEdgeConfigFile(args);

builder.AddServiceDefaults();
var options = await builder.AddTunnelEdgeAsync();

var app = builder.Build();

app.MapTunnelEdge(options);
app.MapDefaultEndpoints();

app.Run();

public partial class Program;
