using System.Security.Cryptography;
using Portal.Destinations;

namespace Portal.Tests.Destinations;

public sealed class DestinationPathsTests
{
    private static readonly ExportPathValues Values = new(
        Guid.Parse("0193a5b2-1111-7000-8000-000000000001"),
        "Fleet: north/south",
        "CSV",
        new DateTimeOffset(2026, 12, 1, 23, 30, 0, TimeSpan.FromHours(-2)),
        new DateTimeOffset(2026, 12, 2, 23, 30, 0, TimeSpan.FromHours(-2)),
        3,
        ".csv");

    [Fact]
    public void TheDefaultTemplateUsesTheRangeInUtc() =>
        Assert.Equal("csv/2026-12-02/0193a5b2-1111-7000-8000-000000000001-3.csv", DestinationPaths.Render(DestinationPaths.DefaultTemplate, Values));

    [Fact]
    public void NamesBecomeOneSafeSegmentAndDateFormatsMayMakeFolders() =>
        Assert.Equal("2026/12/02/Fleet_ north_south-3.csv", DestinationPaths.Render("/{from:yyyy/MM/dd}//{name}-{part}.{ext}", Values));

    [Fact]
    public void TimesWithoutAFormatAreSortableUtcStamps() =>
        Assert.Equal("2026-12-02T01-30-00Z_2026-12-03T01-30-00Z-3", DestinationPaths.Render("{from}_{to}-{part}", Values));

    [Theory]
    [InlineData("{format}/{nope}-{part}.{ext}", "Unknown placeholder {nope}")]
    [InlineData("{format}/{export}.{ext}", "The path template must tell the files of an export apart: use {part}.")]
    [InlineData("{format}/../{part}.{ext}", "The path template must not contain '.' or '..' folders.")]
    [InlineData("{format}/{part:000}.{ext}", "{part} takes no format")]
    [InlineData("{format}/{part", "The path template has a '{' without its '}'")]
    [InlineData("   ", "Enter a path template")]
    public void ATemplateThatCannotWorkIsExplained(string template, string message) =>
        Assert.StartsWith(message, DestinationPaths.Check(template), StringComparison.Ordinal);

    [Fact]
    public void TheDefaultTemplateIsValid() => Assert.Null(DestinationPaths.Check(DestinationPaths.DefaultTemplate));
}

public sealed class DestinationValidatorRulesTests
{
    [Theory]
    [InlineData("SHA256:UU810EPlMKJLGoUiqZNMoXf3KfBCGgEgkiHW+rw0qIA", "SHA256:UU810EPlMKJLGoUiqZNMoXf3KfBCGgEgkiHW+rw0qIA")]
    [InlineData(" sha256:UU810EPlMKJLGoUiqZNMoXf3KfBCGgEgkiHW+rw0qIA= ", "SHA256:UU810EPlMKJLGoUiqZNMoXf3KfBCGgEgkiHW+rw0qIA")]
    [InlineData("97:70:33:82:FD:29:3a:73:39:af:6a:07:ad:f8:80:49", "97:70:33:82:fd:29:3a:73:39:af:6a:07:ad:f8:80:49")]
    [InlineData("MD5:97:70:33:82:fd:29:3a:73:39:af:6a:07:ad:f8:80:49", "97:70:33:82:fd:29:3a:73:39:af:6a:07:ad:f8:80:49")]
    [InlineData("SHA256:short", null)]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG", null)]
    [InlineData("", null)]
    public void FingerprintsAreTheFormsSshPrints(string given, string? stored) =>
        Assert.Equal(stored, DestinationValidator.NormalizeFingerprint(given));

    [Theory]
    [InlineData("reports", true)]
    [InlineData("daily-exports-2026", true)]
    [InlineData("ab", false)]
    [InlineData("Reports", false)]
    [InlineData("double--hyphen", false)]
    [InlineData("-leading", false)]
    [InlineData("under_score", false)]
    public void ContainerNamesFollowAzuresRules(string name, bool valid) =>
        Assert.Equal(valid, DestinationValidator.ContainerError(name) is null);

    [Fact]
    public void APemPrivateKeyIsReadAndGarbageIsExplained()
    {
        using var rsa = RSA.Create(2048);
        Assert.Null(DestinationValidator.PrivateKeyError(rsa.ExportRSAPrivateKeyPem()));
        Assert.StartsWith("The private key could not be read", DestinationValidator.PrivateKeyError("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----"), StringComparison.Ordinal);
    }
}
