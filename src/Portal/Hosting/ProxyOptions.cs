using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Portal.Hosting;

/// <summary>
/// The reverse proxies and load balancers in front of the portal, section <c>ForwardedHeaders</c>. Only requests that
/// come from one of them may say, through <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c>, who the client is and
/// that it used https; from anyone else those headers are ignored.
/// </summary>
public sealed class ProxyOptions : IValidatableObject
{
    public const string SectionName = "ForwardedHeaders";

    /// <summary>Addresses of trusted proxies, e.g. <c>10.0.0.5</c>.</summary>
    public IList<string> KnownProxies { get; } = [];

    /// <summary>Networks of trusted proxies in CIDR notation, e.g. <c>10.0.0.0/24</c>.</summary>
    public IList<string> KnownNetworks { get; } = [];

    /// <summary>
    /// True when browsers reach the portal's own https endpoint with no proxy in front; outside Development a start
    /// needs this or a known proxy or network.
    /// </summary>
    public bool DirectlyExposed { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var proxy in KnownProxies.Where(p => !IPAddress.TryParse(p, out _)))
        {
            yield return new ValidationResult($"ForwardedHeaders:KnownProxies has '{proxy}', which is not an IP address.", [nameof(KnownProxies)]);
        }
        foreach (var network in KnownNetworks.Where(n => !IPNetwork.TryParse(n, out _)))
        {
            yield return new ValidationResult(
                $"ForwardedHeaders:KnownNetworks has '{network}', which is not a network in CIDR notation (e.g. 10.0.0.0/24).", [nameof(KnownNetworks)]);
        }
    }
}
