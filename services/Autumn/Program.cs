using Spokes.Autumn;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAutumnServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapRootApi();

app.Run();

public partial class Program;
