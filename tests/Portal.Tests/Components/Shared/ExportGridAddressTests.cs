using Portal.Components.Shared;
using Portal.Exports;

namespace Portal.Tests.Components.Shared;

public class ExportGridAddressTests
{
    private static readonly ExportGridState Start = new();
    private static readonly ExportGridState ByStatus = new() { SortBy = ExportSort.Status, Descending = false };
    private static readonly ExportGridState SearchC = new() { Search = "c" };
    private static readonly ExportGridState SearchCs = new() { Search = "cs" };

    [Fact]
    public void TheFirstAddressIsShownAndWritingItAgainIsNotNeeded()
    {
        var address = new ExportGridAddress();

        Assert.True(address.Arrived(ByStatus));
        Assert.False(address.Write(ByStatus));
    }

    [Fact]
    public void TheGridsOwnWriteComingBackIsNotShownAgain()
    {
        var address = new ExportGridAddress();
        address.Arrived(Start);

        Assert.True(address.Write(ByStatus));

        Assert.False(address.Arrived(ByStatus));
    }

    [Fact]
    public void AnOlderWriteArrivingWhileTheUserTypesOnIsNotTakenForABack()
    {
        var address = new ExportGridAddress();
        address.Arrived(Start);
        address.Write(SearchC);
        address.Write(SearchCs);

        Assert.False(address.Arrived(SearchC));
        Assert.False(address.Arrived(SearchCs));
    }

    [Fact]
    public void BackToAnEarlierViewIsShownAndWritingThatViewIsThenNotNeeded()
    {
        var address = new ExportGridAddress();
        address.Arrived(Start);
        address.Write(ByStatus);
        address.Arrived(ByStatus);

        Assert.True(address.Arrived(Start));
        Assert.False(address.Write(Start));
        Assert.True(address.Write(ByStatus));
    }
}
