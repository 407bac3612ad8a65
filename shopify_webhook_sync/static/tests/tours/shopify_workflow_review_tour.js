import {registry} from "@web/core/registry";

/**
 * A manager turns manual review on for the orders workflow. The test then delivers an
 * order (it waits To Approve) and replays shopify_review_approve_tour.
 */
const openOrdersWorkflow = [
    {
        content: "Open the orders workflow",
        trigger: ".o_kanban_record:contains(Orders):contains(orders/create)",
        run: "click",
    },
];

registry.category("web_tour.tours").add("shopify_review_start_tour", {
    steps: () => [
        ...openOrdersWorkflow,
        {
            content: "Turn manual review on",
            trigger: ".o_form_view button[name=action_review_start]",
            run: "click",
        },
        {
            content: "Review is on, and ends in one click",
            trigger: ".o_form_view button[name=action_review_end]",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=review_active] input:checked",
        },
    ],
});

/**
 * The order waiting for approval, found from its workflow, approved: it is done. Back
 * on the workflow, its note is read in the browser: the rules, the review's status and
 * the test cases the launch rehearsal passed.
 */
registry.category("web_tour.tours").add("shopify_review_approve_tour", {
    steps: () => [
        {
            content: "The orders workflow's card says it is in review",
            trigger: ".o_kanban_record:contains(Orders):contains(In review):contains(to approve)",
        },
        ...openOrdersWorkflow,
        {
            content: "Open the orders waiting for approval",
            trigger: ".o_form_view button[name=action_open_review_events]:contains(1)",
            run: "click",
        },
        {
            trigger:
                ".o_data_row:has(.o_data_cell[name=state]:contains(To Approve)) .o_data_cell[name=topic]",
            run: "click",
        },
        {
            content: "Shopify's figures beside Odoo's",
            trigger:
                ".o_form_view .o_field_widget[name=review_shopify_total]:contains(414.95)",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=review_odoo_total]:contains(414.95)",
        },
        {
            content: "Approve it",
            trigger: ".o_form_view .o_form_statusbar button[name=action_approve]",
            run: "click",
        },
        {
            content: "Confirmed: the event is done",
            trigger:
                ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Done)",
        },
        {
            content: "Back to the orders workflow",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(Orders)",
            run: "click",
        },
        {
            content: "Read the note",
            trigger: ".o_form_view button[name=action_read_note]",
            run: "click",
        },
        {
            content: "The note shows the workflow's rules",
            trigger:
                ".o_action iframe:iframe .page:contains(Matching key):contains(Internal Reference):contains(Retry rule)",
            // the report's own assets may be built on its first display
            timeout: 30000,
        },
        {
            content: "... the review's status: on, the approved order counted",
            trigger:
                ".o_action iframe:iframe .page tr:contains(Manual review):contains(1 approved unchanged in a row):contains(0 waiting To Approve)",
        },
        {
            content: "... and the test cases passed",
            trigger:
                ".o_action iframe:iframe .page p:contains(Controlled failure)",
        },
    ],
});
