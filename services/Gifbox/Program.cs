using Spokes.Gifbox;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapRootApi();

app.Run();

public partial class Program;
