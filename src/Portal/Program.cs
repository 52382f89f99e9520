using Portal.Api;
using Portal.Components;
using Portal.Destinations;
using Portal.Downloads;
using Portal.Hosting;
using Portal.Hosting.ScaleOut;
using Portal.Notifications;
using Portal.Notifications.Email;
using Portal.Previews;
using Portal.Schedules;
using Portal.Security;
using Portal.Upstream;
using Portal.Webhooks;

var builder = WebApplication.CreateBuilder(args);

builder.AddDevelopmentSettings();
// First: outside Development, every missing or unsafe mandatory setting is named in one failed start.
builder.RequireMandatorySettings();
builder.AddPortalShell();
builder.AddPortalTelemetry();
builder.AddPortalHealth();
builder.AddPortalSecurity();
builder.AddPortalDataProtection();
builder.AddExportEngine();
builder.AddExportsHub();
builder.AddEmailNotifications();
builder.AddExportPages();
builder.AddDownloads();
builder.AddFilePreviews();
builder.AddWebhooks();
builder.AddDestinations();
builder.AddSchedules();
builder.AddPortalApi();
// Last: it replaces the in-process budget, pause, gate and fan-out that the features above registered.
builder.AddPortalScaleOut();

var app = builder.Build();

app.UsePortalShell();
app.UseHubOriginCheck();
// Between routing and authorization: routing's own 405/415 answers under /api/v1 take the API's policy and problem bodies.
app.UseApiProblems();
// After the shell: the exception handler's and status code pages' re-executed requests must be authorized too.
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
api.MapMeApi();
api.MapTeamsApi();
api.MapScheduleApi();
api.MapWebhookApi();
api.MapDestinationApi();

app.Run();

public partial class Program;
