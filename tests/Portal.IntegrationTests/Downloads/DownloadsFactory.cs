using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Exports;

namespace Portal.IntegrationTests.Downloads;

/// <summary>The portal with a fake export service and a header sign-in; <see cref="Settings"/> go in before start.</summary>
public class DownloadsFactory : WebApplicationFactory<Program>
{
    public DownloadExportService Exports { get; } = new();

    public Dictionary<string, string?> Settings { get; } = [];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IExportService>();
            services.AddSingleton<IExportService>(Exports);
            // A signed-in user's 404 page carries the notification bell, which listens for changes.
            services.TryAddSingleton<IExportEvents, NoExportEvents>();
            services.AddAuthentication(options =>
                {
                    options.DefaultScheme = DownloadTestAuthHandler.SchemeName;
                    options.DefaultChallengeScheme = DownloadTestAuthHandler.SchemeName;
                })
                .AddScheme<AuthenticationSchemeOptions, DownloadTestAuthHandler>(DownloadTestAuthHandler.SchemeName, null);
        });
    }

    public HttpClient CreateClientFor(string? user, params string[] roles)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (user is not null)
        {
            client.DefaultRequestHeaders.Add("X-Test-User", user);
        }
        if (roles.Length > 0)
        {
            client.DefaultRequestHeaders.Add("X-Test-Roles", string.Join(',', roles));
        }
        return client;
    }
}

internal sealed class NoExportEvents : IExportEvents
{
    public IDisposable Subscribe(Func<ExportChanged, Task> handler) => new Unsubscriber();

    public Task PublishAsync(ExportChanged change, CancellationToken cancellationToken = default) => Task.CompletedTask;

    private sealed class Unsubscriber : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
