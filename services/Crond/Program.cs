using Spokes.Crond;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddMessageBus("rabbitmq");
builder.AddRedisClient("redis", configureOptions: RedisClientDefaults.Apply);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddMetrics();
builder.Services.AddSingleton<CrondMetrics>();
builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(CrondMetrics.MeterName));
builder.Services.AddSingleton<JobLease>();
builder.Services.AddHostedService<JobScheduler>();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();

public partial class Program;
