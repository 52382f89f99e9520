using Portal.Components.Shared;
using Portal.Data;
using Portal.Downloads;
using Portal.Exports;
using Portal.Hosting;
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
app.MapGroup("/api/v1").RequireAuthorization().MapWebhookApi();
// Moves onto the API's route group (token authentication) once it exists.
app.MapGroup("/api/v1/schedules").RequireAuthorization().MapScheduleApi();

app.Run();

public partial class Program;
