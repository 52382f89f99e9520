using Portal.Hosting;
using Portal.Security;

var builder = WebApplication.CreateBuilder(args);

builder.AddDevelopmentSettings();
builder.AddPortalShell();
builder.AddPortalSecurity();

var app = builder.Build();

app.UsePortalShell();
app.UsePortalSecurity();
app.MapPortalShell();
app.MapAccountEndpoints();

app.Run();

public partial class Program;
