var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRedisClient("redis", configureOptions: RedisClientDefaults.Apply);

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();

public partial class Program;
