namespace Portal.Components.Layout;

/// <summary>Settings of the portal shell, section <c>Portal</c>.</summary>
public sealed class PortalOptions
{
    public const string SectionName = "Portal";

    /// <summary>Text shown in the app bar to tell a non-production portal apart, e.g. "Development".</summary>
    public string EnvironmentBanner { get; set; } = "";
}
