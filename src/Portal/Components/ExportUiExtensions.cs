using Portal.Components.Pages.Exports;
using Portal.Components.Shared;

namespace Portal.Components;

public static class ExportUiExtensions
{
    /// <summary>
    /// What the export pages need besides the export service and events: the circuit's user and time zone,
    /// the actions, and the settings of the new-export form.
    /// </summary>
    public static IHostApplicationBuilder AddExportPages(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<NewExportOptions>()
            .BindConfiguration(NewExportOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddScoped<CurrentUser>();
        builder.Services.AddScoped<UserTimeZone>();
        // A factory, not a type: the export service comes from the engine's registration, which the container
        // must not insist on when it validates this one.
        builder.Services.AddScoped(sp => ActivatorUtilities.CreateInstance<ExportActions>(sp));
        return builder;
    }
}
