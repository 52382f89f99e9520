using Microsoft.Extensions.Configuration.Json;
using MudBlazor.Services;
using Portal.Components;

namespace Portal.Hosting;

public static class HostingExtensions
{
    /// <summary>
    /// Loads the repository's top-level <c>appsettings.Development.json</c> (copied next to the portal's
    /// binaries) in Development, at the precedence the default <c>appsettings.{Environment}.json</c> has.
    /// </summary>
    public static IHostApplicationBuilder AddDevelopmentSettings(this IHostApplicationBuilder builder)
    {
        if (!builder.Environment.IsDevelopment())
        {
            return builder;
        }

        var settings = new JsonConfigurationSource
        {
            Path = Path.Combine(AppContext.BaseDirectory, "appsettings.Development.json"),
            Optional = true,
        };
        settings.ResolveFileProvider();

        // Just above the last JSON file, so environment variables and the command line still win.
        var sources = builder.Configuration.Sources;
        var lastJson = sources.Select((source, index) => (source, index)).LastOrDefault(s => s.source is JsonConfigurationSource);
        sources.Insert(lastJson.source is null ? 0 : lastJson.index + 1, settings);
        return builder;
    }

    public static IHostApplicationBuilder AddPortalShell(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PortalOptions>().BindConfiguration(PortalOptions.SectionName);
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        return builder;
    }

    public static WebApplication UsePortalShell(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
            app.UseHsts();
        }
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        return app;
    }

    public static IEndpointRouteBuilder MapPortalShell(this IEndpointRouteBuilder app)
    {
        // Public: the sign-in page and the public start page need their stylesheets and scripts.
        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
