using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using Portal.Components;
using Portal.Components.Layout;

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

    /// <summary>
    /// The shell: the one <see cref="TimeProvider"/> every feature reads the time from, settings of the app bar and of
    /// proxies in front, Razor components and MudBlazor.
    /// </summary>
    public static IHostApplicationBuilder AddPortalShell(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        // RemoveServerHeader() in the security headers drops only headers the app sets; Kestrel adds its own.
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(kestrel => kestrel.AddServerHeader = false);
        builder.Services.AddOptions<PortalOptions>().BindConfiguration(PortalOptions.SectionName);
        builder.Services.AddOptions<ProxyOptions>().BindConfiguration(ProxyOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, proxies) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Nothing is trusted by default, not even loopback: a proxy on the same machine is configured like any other.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in proxies.Value.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }
            foreach (var network in proxies.Value.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices(mud =>
        {
            // Bottom left, below the navigation: notices cover none of a page's own buttons (top right of each page), and a
            // burst of completions shows a few at a time instead of a stack over the page.
            mud.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.BottomLeft;
            mud.SnackbarConfiguration.MaxDisplayedSnackbars = 3;
        });
        return builder;
    }

    public static WebApplication UsePortalShell(this WebApplication app)
    {
        // First: scheme and client address decide links, cookies, redirects and the logs of everything after.
        app.UseForwardedHeaders();
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
