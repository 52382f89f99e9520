using MudBlazor;

namespace Portal.Components.Layout;

public static class PortalTheme
{
    /// <summary>Holds "dark" or "light" once a user chose; without it the portal follows the system's setting.</summary>
    public const string CookieName = "portal-theme";

    /// <summary>The user's choice from the cookie: dark (true), light (false), or none.</summary>
    public static bool? ParseChoice(string? cookie) => cookie switch
    {
        "dark" => true,
        "light" => false,
        _ => null,
    };

    public static MudTheme Theme { get; } = new()
    {
        // Every colour pair meets WCAG AA contrast (4.5:1) for the text MudBlazor puts on it, a text chip on its own tint included.
        PaletteLight = new PaletteLight
        {
            Primary = "#3949ab",
            Secondary = "#00796b",
            AppbarBackground = "#3949ab",
            Success = "#2e7d32",
            Info = "#01579b",
            Warning = "#b45309",
            Error = "#c62828",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#9fa8da",
            TextSecondary = "rgba(255,255,255,0.72)",
            PrimaryContrastText = "rgba(0,0,0,0.87)",
            Secondary = "#80cbc4",
            SecondaryContrastText = "rgba(0,0,0,0.87)",
            Success = "#81c784",
            SuccessContrastText = "rgba(0,0,0,0.87)",
            Info = "#81d4fa",
            InfoContrastText = "rgba(0,0,0,0.87)",
            Warning = "#ffb74d",
            WarningContrastText = "rgba(0,0,0,0.87)",
            Error = "#ef9a9a",
            ErrorContrastText = "rgba(0,0,0,0.87)",
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "6px" },
    };
}
