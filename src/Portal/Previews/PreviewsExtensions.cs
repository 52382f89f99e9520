namespace Portal.Previews;

public static class PreviewsExtensions
{
    /// <summary>File previews (section <c>Preview</c>), file sizes (measured once an export completes, section <c>FileSizes</c>) and the zip of all parts; calls go through the download client.</summary>
    public static IHostApplicationBuilder AddFilePreviews(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PreviewOptions>().BindConfiguration(PreviewOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ResultFileHost>();
        builder.Services.AddSingleton<PreviewConcurrency>();
        builder.Services.AddScoped<IFilePreviewService, FilePreviewService>();
        builder.Services.AddOptions<FileSizeOptions>().BindConfiguration(FileSizeOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        if (builder.Configuration.GetValue(FileSizeOptions.SectionName + ":" + nameof(FileSizeOptions.Enabled), true))
        {
            builder.Services.AddHostedService<FileSizeMeasurer>();
        }
        return builder;
    }
}
