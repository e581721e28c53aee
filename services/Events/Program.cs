using Spokes.Events;
using Spokes.Events.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddEventsServices();

var app = builder.Build();

app.UseWebSockets();
app.MapDefaultEndpoints();
app.MapWebSocketApi();

app.Run();

public partial class Program;
