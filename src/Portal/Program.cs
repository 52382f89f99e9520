using Portal.Data;
using Portal.Exports;
using Portal.Hosting;
using Portal.Notifications;
using Portal.Tracking;
using Portal.Upstream;

var builder = WebApplication.CreateBuilder(args);

builder.AddDevelopmentSettings();
builder.AddPortalShell();
builder.AddPortalData();
builder.AddUpstream();
builder.AddExports();
builder.AddExportTracking();
builder.AddExportNotifications();

var app = builder.Build();

app.UsePortalShell();
app.MapPortalShell();
app.MapEmbeddedUpstream();
app.MapExportNotifications();
app.MapPortalHealth();

app.Run();

public partial class Program;
