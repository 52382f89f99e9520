namespace Portal.Upstream;

/// <summary>
/// When the portal hosts the bundled simulator: in Development with an empty <c>Upstream:BaseUrl</c>, or anywhere but
/// Production when <c>Upstream:UseSimulator</c> is <c>true</c>. Anywhere else an empty <c>Upstream:BaseUrl</c> is a
/// forgotten setting, not a wish for fake data, and stops the start.
/// </summary>
internal static class EmbeddedSimulatorRule
{
    public static bool HostsSimulator(IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(UpstreamOptions.SectionName);
        var baseUrl = section[nameof(UpstreamOptions.BaseUrl)];
        var useSimulator = section.GetValue<bool>(nameof(UpstreamOptions.UseSimulator));
        var environment = builder.Environment;

        if (useSimulator && environment.IsProduction())
        {
            throw new InvalidOperationException(
                "Upstream:UseSimulator is true, but Production never hosts the simulator: remove the setting and set Upstream:BaseUrl to the vendor's API.");
        }
        if (useSimulator && !string.IsNullOrWhiteSpace(baseUrl))
        {
            throw new InvalidOperationException(
                "Upstream:UseSimulator is true and Upstream:BaseUrl is set: choose one (the simulator, or the vendor at Upstream:BaseUrl).");
        }
        if (!string.IsNullOrWhiteSpace(baseUrl))
        {
            return false;
        }
        if (useSimulator || environment.IsDevelopment())
        {
            return true;
        }
        throw new InvalidOperationException(
            $"Upstream:BaseUrl is empty: set it to the vendor's API root (e.g. https://api.example/). The {environment.EnvironmentName} " +
            "environment does not host the development simulator unless Upstream:UseSimulator is true.");
    }
}
