using Spokes.Gifbox;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddStoatErrors();

var app = builder.Build();

app.UseStoatErrors();
app.MapDefaultEndpoints();
app.MapRootApi();

app.Run();

public partial class Program;
