using Portal.Api;
using Portal.Components.Shared;
using Portal.Data;
using Portal.Downloads;
using Portal.Exports;
using Portal.Hosting;
using Portal.Hosting.ScaleOut;
using Portal.Notifications;
using Portal.Notifications.Email;
using Portal.Previews;
using Portal.Schedules;
using Portal.Security;
using Portal.Tracking;
using Portal.Upstream;
using Portal.Webhooks;

var builder = WebApplication.CreateBuilder(args);

builder.AddDevelopmentSettings();
builder.AddPortalShell();
builder.AddPortalTelemetry();
builder.AddPortalHealth();
builder.AddPortalSecurity();
builder.AddPortalData();
builder.AddUpstream();
builder.AddExports();
builder.AddExportTracking();
builder.AddExportNotifications();
builder.AddEmailNotifications();
builder.AddExportPages();
builder.AddDownloads();
builder.AddFilePreviews();
builder.AddWebhooks();
builder.AddSchedules();
builder.AddPortalApi();
builder.AddPortalScaleOut();

var app = builder.Build();

app.UsePortalShell();
app.UsePortalSecurity();
app.MapPortalShell();
app.MapAccountEndpoints();
app.MapCspReports();
app.MapDownloads();
app.MapZipDownload();
app.MapEmbeddedUpstream();
app.MapExportNotifications();
app.MapPortalHealth();

var api = app.MapPortalApi();
api.MapExportApi();
api.MapScheduleApi();
api.MapWebhookApi();

app.Run();

public partial class Program;
