var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddStoatErrors();
builder.AddRedisClient("redis", configureOptions: RedisClientDefaults.Apply);

var app = builder.Build();

app.UseStoatErrors();
app.MapDefaultEndpoints();

app.Run();

public partial class Program;
