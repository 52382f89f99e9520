using Portal.Components.Shared;
using Portal.Downloads;
using Portal.Hosting;
using Portal.Security;

var builder = WebApplication.CreateBuilder(args);

builder.AddDevelopmentSettings();
builder.AddPortalShell();
builder.AddPortalSecurity();
builder.AddExportPages();
builder.AddDownloads();

var app = builder.Build();

app.UsePortalShell();
app.UsePortalSecurity();
app.MapPortalShell();
app.MapAccountEndpoints();
app.MapDownloads();

app.Run();

public partial class Program;
