using Portal.Components.Shared;
using Portal.Downloads;
using Portal.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.AddDevelopmentSettings();
builder.AddPortalShell();
builder.AddExportPages();
builder.AddDownloads();

// The pages read the signed-in user and the admin policy; sign-in itself registers the same services.
builder.Services.AddCascadingAuthenticationState();
builder.Services.AddAuthorizationBuilder()
    .AddPolicy(Portal.Security.PortalAuthorizationOptions.AdminPolicy, policy =>
        policy.RequireRole(builder.Configuration["Authorization:AdminRole"] ?? new Portal.Security.PortalAuthorizationOptions().AdminRole));

var app = builder.Build();

app.UsePortalShell();
app.MapPortalShell();
app.MapDownloads();

app.Run();

public partial class Program;
