using ArchUnitNET.Domain;
using ArchUnitNET.Fluent;
using ArchUnitNET.Fluent.Slices;
using ArchUnitNET.Loader;
using ArchUnitNET.xUnitV3;
using static ArchUnitNET.Fluent.ArchRuleDefinition;

namespace Portal.Tests.Architecture;

/// <summary>
/// The folders of <c>src/Portal</c> in layers (docs/architecture.md draws them): a folder uses only folders in lower
/// rows, never one in its own row; nothing uses <c>Hosting</c>, the composition root, or <c>Program</c>.
/// Sub-namespaces (<c>Components.Pages.Exports</c>, <c>Notifications.Email</c>, <c>Hosting.ScaleOut</c>) belong to
/// their folder. The dependencies are read from the compiled assembly, so a <c>using</c> alone is no dependency.
/// </summary>
public sealed class LayerTests
{
    /// <summary>Bottom to top.</summary>
    private static readonly string[][] Layers =
    [
        ["Kernel"],
        ["Data"],
        ["Security"],
        ["Upstream"],
        ["Exports"],
        ["Tracking", "Notifications", "Downloads"],
        ["Schedules", "Webhooks", "Previews", "Destinations"],
        ["Api"],
        ["Components"],
        ["Hosting"],
    ];

    private static readonly System.Reflection.Assembly PortalAssembly = typeof(Hosting.ExportEngineExtensions).Assembly;

    /// <summary>The portal's top-level statements (the test project also sees the simulator's <c>Program</c>).</summary>
    private static readonly System.Type Program = PortalAssembly.GetType("Program", throwOnError: true)!;

    private static readonly ArchUnitNET.Domain.Architecture PortalCode = new ArchLoader().LoadAssemblies(PortalAssembly).Build();

    public static TheoryData<string> Folders => [.. Layers.SelectMany(row => row)];

    [Fact]
    public void FoldersFormNoCycle() =>
        SliceRuleDefinition.Slices().Matching("Portal.(*)..").Should().BeFreeOfCycles().Check(PortalCode);

    [Theory]
    [MemberData(nameof(Folders))]
    public void FolderUsesOnlyLowerRows(string folder)
    {
        var row = Array.FindIndex(Layers, r => r.Contains(folder));
        string[] notBelow = [.. Layers.Skip(row).SelectMany(r => r).Where(f => f != folder)];
        Types().That().ResideInNamespaceMatching(InFolders(folder))
            .Should().NotDependOnAny(Types().That().ResideInNamespaceMatching(InFolders(notBelow)))
            .Because($"{folder} sits in row {row + 1} and may use only {Below(row)}")
            .Check(PortalCode);
    }

    [Fact]
    public void NothingUsesTheCompositionRoot() =>
        Types().That().DoNotResideInNamespaceMatching(InFolders("Hosting")).And().AreNot(Program)
            .Should().NotDependOnAny(Types().That().ResideInNamespaceMatching(InFolders("Hosting")).Or().Are(Program))
            .Because("Hosting and Program compose the portal; nothing builds on them")
            .Check(PortalCode);

    [Fact]
    public void EveryPortalTypeSitsInALayer() =>
        Types().That().ResideInNamespaceMatching(@"^Portal(\..*)?$")
            .Should().ResideInNamespaceMatching(InFolders([.. Layers.SelectMany(r => r)]))
            .Because("a new folder gets its row in LayerTests and docs/architecture.md")
            .Check(PortalCode);

    private static string InFolders(params string[] folders) => $@"^Portal\.({string.Join('|', folders)})(\..*)?$";

    private static string Below(int row) =>
        row == 0 ? "nothing of the portal" : string.Join(", ", Layers.Take(row).SelectMany(r => r));
}
