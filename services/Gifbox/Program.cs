using Spokes.Gifbox;
using Spokes.Gifbox.Gifs;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddStoatErrors(error => (error as GifboxException)?.Error);
builder.AddGifboxServices();

var app = builder.Build();

app.UseStoatErrors();
app.MapDefaultEndpoints();
app.MapRootApi();
app.MapGifApi();

app.Run();

public partial class Program;
