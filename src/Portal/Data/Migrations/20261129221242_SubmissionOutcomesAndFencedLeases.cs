using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class SubmissionOutcomesAndFencedLeases : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateOnly>(
                name: "CreatedDay",
                table: "ExportRequests",
                type: "TEXT",
                nullable: false,
                defaultValue: new DateOnly(1, 1, 1));

            migrationBuilder.AddColumn<long>(
                name: "DeletedAt",
                table: "ExportRequests",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "LeaseToken",
                table: "ExportRequests",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<double>(
                name: "SecondsToComplete",
                table: "ExportRequests",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "SubmitSentAt",
                table: "ExportRequests",
                type: "INTEGER",
                nullable: true);

            // Times are stored as UTC ticks since 0001-01-01: the dashboard's day and duration for the rows already there.
            migrationBuilder.Sql("""
                UPDATE "ExportRequests" SET "CreatedDay" = date("CreatedAt" / 10000000 - 62135596800, 'unixepoch');
                UPDATE "ExportRequests" SET "SecondsToComplete" = max(0, ("CompletedAt" - "CreatedAt") / 10000000.0)
                    WHERE "CompletedAt" IS NOT NULL AND "Status" IN ('Completed', 'Expired');
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "CreatedDay",
                table: "ExportRequests");

            migrationBuilder.DropColumn(
                name: "DeletedAt",
                table: "ExportRequests");

            migrationBuilder.DropColumn(
                name: "LeaseToken",
                table: "ExportRequests");

            migrationBuilder.DropColumn(
                name: "SecondsToComplete",
                table: "ExportRequests");

            migrationBuilder.DropColumn(
                name: "SubmitSentAt",
                table: "ExportRequests");
        }
    }
}
