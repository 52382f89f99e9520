using Portal.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.AddDevelopmentSettings();
builder.AddPortalShell();

var app = builder.Build();

app.UsePortalShell();
app.MapPortalShell();

app.Run();

public partial class Program;
