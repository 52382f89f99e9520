using System.Diagnostics.CodeAnalysis;

// Shared holds the components several pages use (the pre-.NET 8 Blazor Server template's folder name); nothing here is consumed from Visual Basic.
[assembly: SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Scope = "namespace", Target = "~N:Portal.Components.Shared")]
