using Spokes.Autumn;
using Spokes.Autumn.Api;
using Spokes.Autumn.Files;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddStoatErrors(AutumnErrors.Translate);
builder.AddAutumnServices();

var app = builder.Build();

app.UseServedContentHeaders();
app.UseStoatErrors();
app.MapDefaultEndpoints();
app.MapRootApi();
app.MapFileRoutes();
app.MapFilesGrpc();

app.Run();

public partial class Program;
