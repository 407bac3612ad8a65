import {registry} from "@web/core/registry";
import {stepUtils} from "@web_tour/tour_service/tour_utils";

/**
 * An operator's way through a missing product, in today's UI: from the Overview to the
 * order waiting in Needs Mapping, whose reason names the SKU; the product created with
 * that Internal Reference in Sales (saving it re-queues the order); back in the events,
 * the order is queued again. The test then runs the job and replays
 * shopify_event_done_tour.
 */
registry.category("web_tour.tours").add("shopify_needs_mapping_tour", {
    steps: () => [
        {
            content: "The shop's card counts what there is to fix: open it",
            trigger: ".o_kanban_record:contains(John Smith) button:contains(To Fix)",
            run: "click",
        },
        {
            content: "Open the order that waits for a mapping",
            trigger:
                ".o_data_row:has(.o_data_cell[name=state]:contains(Needs Mapping)) .o_data_cell[name=topic]",
            run: "click",
        },
        {
            content: "The reason names the SKU and the fix",
            trigger:
                ".o_form_view .alert-warning:contains(SKU2006-020):contains(Create the product)",
        },
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open Sales"),
        {
            content: "Products",
            trigger: "button[data-menu-xmlid='sale.product_menu_catalog']",
            run: "click",
        },
        {
            trigger: "[data-menu-xmlid='sale.menu_product_template_action']",
            run: "click",
        },
        {
            content: "New product",
            trigger: ".o_control_panel_main_buttons .o-kanban-button-new",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=name] textarea",
            run: "edit Mid-century lounger",
        },
        {
            content: "With the SKU Shopify sent as its Internal Reference",
            trigger: ".o_form_view .o_field_widget[name=default_code] input",
            run: "edit SKU2006-020",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view .o_form_saved",
        },
        ...stepUtils.goToAppSteps(
            "shopify_webhook_sync.menu_shopify_root",
            "Back to Shopify"
        ),
        {
            trigger: "[data-menu-xmlid='shopify_webhook_sync.menu_shopify_events']",
            run: "click",
        },
        {
            content: "Saving the product re-queued the order",
            trigger:
                ".o_data_row:has(.o_data_cell[name=topic]:contains(orders/create)) .o_data_cell[name=state]:contains(Queued)",
        },
    ],
});

/** After the job ran: the event is done and leads to the sale order it became. */
registry.category("web_tour.tours").add("shopify_event_done_tour", {
    steps: () => [
        {
            content: "The order's event is done",
            trigger:
                ".o_data_row:has(.o_data_cell[name=state]:contains(Done)) .o_data_cell[name=topic]:contains(orders/create)",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Done)",
        },
        {
            content: "It shows the Odoo record it became",
            trigger: ".o_form_view button[name=action_open_record]",
            run: "click",
        },
        {
            content: "The sale order, with a line of the new product",
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Mid-century lounger)",
        },
    ],
});

/**
 * The fix from the reason's button, followed live: on the order waiting for a
 * product, Create the Product (created at once with the SKU, shown in a dialog) and
 * close it saved; the form shows the order re-queued, then done once the job runner
 * synced it, without a reload (the bus refreshes it).
 */
registry.category("web_tour.tours").add("shopify_fix_followed_live_tour", {
    steps: () => [
        {
            content: "The order waits for a product",
            trigger:
                ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Needs Mapping)",
        },
        {
            content: "Its reason names the SKU",
            trigger: ".o_form_view .alert-warning:contains(SKU2006-020)",
            run() {
                // gone if the page reloads
                window.shopifyNotReloaded = true;
            },
        },
        {
            content: "The reason's button creates it",
            trigger: ".o_form_view button[name=action_fix_create_product]",
            run: "click",
        },
        {
            content: "Created with the SKU Shopify sent",
            trigger: ".modal .o_field_widget[name=default_code] input:value(SKU2006-020)",
        },
        {
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "Creating the product re-queued the order",
            trigger:
                ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Queued)",
        },
        {
            content: "The job ran: the form shows it done, without a reload",
            trigger:
                ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Done)",
            timeout: 30000,
        },
        {
            content: "And leads to the sale order it became, on the same page",
            trigger: ".o_form_view button[name=action_open_record]",
            run() {
                if (!window.shopifyNotReloaded) {
                    throw new Error("The page was reloaded");
                }
            },
        },
    ],
});

/**
 * An order whose totals differ from Shopify's waits for review; the operator fixed
 * the sale order by hand and closes the event: from the Overview, open it, Resolve,
 * confirm with a note.
 */
registry.category("web_tour.tours").add("shopify_needs_review_resolved_tour", {
    steps: () => [
        {
            content: "The shop's card counts what there is to fix: open it",
            trigger: ".o_kanban_record:contains(John Smith) button:contains(To Fix)",
            run: "click",
        },
        {
            content: "Open the order waiting for review",
            trigger:
                ".o_data_row:has(.o_data_cell[name=state]:contains(Needs Review)) .o_data_cell[name=topic]",
            run: "click",
        },
        {
            content: "Resolve: I fixed the Odoo record by hand",
            trigger:
                ".o_form_view .o_statusbar_buttons button[name=action_open_close_wizard]:contains(Resolve)",
            run: "click",
        },
        {
            content: "Say how",
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: "edit Corrected the sale order's total to Shopify's by hand",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The event is closed as resolved by hand",
            trigger:
                ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Resolved by Hand)",
        },
    ],
});
