using System.Diagnostics.CodeAnalysis;

// The Blazor template's folder name for components several pages use; nothing here is consumed from Visual Basic.
[assembly: SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Scope = "namespace", Target = "~N:Portal.Components.Shared")]
