using Spokes.January;
using Spokes.January.Embeds;
using Spokes.January.Media;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddStoatErrors(error => (error as JanuaryException)?.Error);
builder.AddRedisClient("redis", configureOptions: RedisClientDefaults.Apply);
builder.AddJanuaryServices();

var app = builder.Build();

app.UseStoatErrors();
app.MapDefaultEndpoints();
app.MapRootApi();
app.MapEmbedApi();
app.MapProxyApi();

app.Run();

public partial class Program;
