using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class ChangeOutbox : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "OwnerId",
                table: "ExportEvents",
                type: "TEXT",
                maxLength: 200,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<long>(
                name: "PublishedAt",
                table: "ExportEvents",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Version",
                table: "ExportEvents",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            // Rows from before the outbox were pushed when written: only their owner is needed, for catch-up.
            migrationBuilder.Sql(
                "UPDATE \"ExportEvents\" SET \"PublishedAt\" = \"At\", \"OwnerId\" = COALESCE((SELECT r.\"OwnerId\" FROM \"ExportRequests\" r WHERE r.\"Id\" = \"ExportEvents\".\"ExportId\"), '')");

            migrationBuilder.CreateIndex(
                name: "IX_ExportEvents_OwnerId_Id",
                table: "ExportEvents",
                columns: new[] { "OwnerId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_ExportEvents_PublishedAt_Id",
                table: "ExportEvents",
                columns: new[] { "PublishedAt", "Id" },
                filter: "\"PublishedAt\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ExportEvents_OwnerId_Id",
                table: "ExportEvents");

            migrationBuilder.DropIndex(
                name: "IX_ExportEvents_PublishedAt_Id",
                table: "ExportEvents");

            migrationBuilder.DropColumn(
                name: "OwnerId",
                table: "ExportEvents");

            migrationBuilder.DropColumn(
                name: "PublishedAt",
                table: "ExportEvents");

            migrationBuilder.DropColumn(
                name: "Version",
                table: "ExportEvents");
        }
    }
}
