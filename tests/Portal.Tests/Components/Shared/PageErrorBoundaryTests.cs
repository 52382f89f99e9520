using Bunit;
using Microsoft.AspNetCore.Components;
using Portal.Components.Shared;

namespace Portal.Tests.Components.Shared;

public partial class PageErrorBoundaryTests : ExportTestContext
{
    [Fact]
    public void AFailingPageShowsASentenceAndAReferenceThatIsInTheLogButNotTheException()
    {
        var boundary = Render<PageErrorBoundary>(p => p.AddChildContent<Failing>());

        var shown = boundary.Find("[data-testid=page-error]").TextContent;
        Assert.Contains("This page ran into a problem.", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-host.internal", shown, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(InvalidOperationException), shown, StringComparison.Ordinal);
        var reference = Reference().Match(shown).Groups[1].Value;
        Assert.Matches("^[0-9a-f]{12}$", reference);
        Assert.Contains(Logs.Entries, e => e.Contains(reference, StringComparison.Ordinal) && e.Contains("secret-host.internal", StringComparison.Ordinal));
    }

    [System.Text.RegularExpressions.GeneratedRegex("the reference ([0-9a-f]+)")]
    private static partial System.Text.RegularExpressions.Regex Reference();

    private sealed class Failing : ComponentBase
    {
        protected override void OnInitialized() => throw new InvalidOperationException("Connection to secret-host.internal refused.");
    }
}
