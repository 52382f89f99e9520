using System.Globalization;
using Portal.Security;

namespace Portal.Api;

/// <summary>
/// Absolute addresses on the portal's configured public address (<see cref="PortalPublicUrl"/>), never on a
/// <c>Host</c> header the caller chose, so a script can follow them as they are.
/// </summary>
internal readonly struct ApiLinks(HttpRequest request)
{
    private readonly string root = PortalPublicUrl.Root(request);

    public string Export(Guid id) => $"{root}{ApiExtensions.RoutePrefix}/exports/{id}";

    public string File(Guid id, int part) => string.Create(CultureInfo.InvariantCulture, $"{Export(id)}/files/{part}");

    public ExportLinks For(Guid id) => new(Export(id), $"{Export(id)}/cancel", $"{root}/exports/{id}");

    public string WithPage(HttpRequest current, int page)
    {
        var query = current.Query.Where(q => q.Key != "page").Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value.ToString())}")
            .Append(string.Create(CultureInfo.InvariantCulture, $"page={page}"));
        return $"{root}{current.Path}?{string.Join('&', query)}";
    }
}
