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

    [Fact]
    public void ADatabaseThatIsAwayShowsACalmStateThatRendersThePageAgainUntilItLoads()
    {
        var away = new Away { FailuresLeft = 2 };
        var boundary = Render<PageErrorBoundary>(p => p.AddChildContent<NeedsTheDatabase>(c => c.Add(d => d.Database, away)));

        var calm = boundary.Find("[data-testid=database-unavailable]").TextContent;
        Assert.Contains("The portal cannot reach its database right now. It keeps trying; this page will reload by itself.", calm, StringComparison.Ordinal);
        Assert.Empty(boundary.FindAll("[data-testid=page-error]"));
        Assert.DoesNotContain(Logs.Entries, e => e.Contains("Correlation id", StringComparison.Ordinal));

        Clock.Advance(TimeSpan.FromSeconds(DatabaseUnavailable.RetrySeconds));
        boundary.WaitForAssertion(() => Assert.Equal(0, away.FailuresLeft));
        Assert.NotEmpty(boundary.FindAll("[data-testid=database-unavailable]"));
        Clock.Advance(TimeSpan.FromSeconds(DatabaseUnavailable.RetrySeconds));
        boundary.WaitForAssertion(() => Assert.Equal("loaded", boundary.Find("#loaded").TextContent));
    }

    [System.Text.RegularExpressions.GeneratedRegex("the reference ([0-9a-f]+)")]
    private static partial System.Text.RegularExpressions.Regex Reference();

    public sealed class Away
    {
        public int FailuresLeft { get; set; }
    }

    private sealed class NeedsTheDatabase : ComponentBase
    {
        [Parameter]
        public Away Database { get; set; } = default!;

        protected override void OnInitialized()
        {
            if (Database.FailuresLeft-- > 0)
            {
                throw new Npgsql.NpgsqlException("Failed to connect to 127.0.0.1:5432", new System.Net.Sockets.SocketException(111));
            }
        }

        protected override void BuildRenderTree(Microsoft.AspNetCore.Components.Rendering.RenderTreeBuilder builder)
        {
            builder.OpenElement(0, "p");
            builder.AddAttribute(1, "id", "loaded");
            builder.AddContent(2, "loaded");
            builder.CloseElement();
        }
    }

    private sealed class Failing : ComponentBase
    {
        protected override void OnInitialized() => throw new InvalidOperationException("Connection to secret-host.internal refused.");
    }
}
