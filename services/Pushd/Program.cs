var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddMessageBus("rabbitmq");

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();

public partial class Program;
