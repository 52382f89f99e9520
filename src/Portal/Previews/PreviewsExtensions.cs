namespace Portal.Previews;

public static class PreviewsExtensions
{
    /// <summary>File previews (section <c>Preview</c>), file sizes and the zip of all parts; calls go through the download client.</summary>
    public static IHostApplicationBuilder AddFilePreviews(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PreviewOptions>().BindConfiguration(PreviewOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ResultFileHost>();
        builder.Services.AddScoped<ResultFileLinks>();
        builder.Services.AddScoped<IFilePreviewService, FilePreviewService>();
        return builder;
    }
}
