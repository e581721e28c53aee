using Spokes.Crond;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddMessageBus("rabbitmq");
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddHostedService<ScheduledTasks>();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();

public partial class Program;
