import {FormController} from "@web/views/form/form_controller";
import {ListController} from "@web/views/list/list_controller";
import {formView} from "@web/views/form/form_view";
import {listView} from "@web/views/list/list_view";
import {onWillUnmount} from "@odoo/owl";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";

/** What the server sends (bus.bus) when events change state: {ids}. */
export const EVENT_STATE_NOTIFICATION = "shopify_webhook_sync/event_state";

/**
 * Calls ``reload(ids)`` whenever events change state on the server (a job synced
 * them, another person retried them), for as long as the view is shown.
 */
export function useEventStateChanges(reload) {
    const busService = useService("bus_service");
    const onChange = ({ids}) => reload(new Set(ids));
    busService.subscribe(EVENT_STATE_NOTIFICATION, onChange);
    onWillUnmount(() => busService.unsubscribe(EVENT_STATE_NOTIFICATION, onChange));
}

/** The event's form follows its state live: re-queued, then done, without a reload. */
export class ShopifyEventFormController extends FormController {
    setup() {
        super.setup();
        useEventStateChanges(async (ids) => {
            // (the bus may speak before the record is loaded)
            const record = this.model.root;
            if (record && ids.has(record.resId) && !record.dirty) {
                await this.model.load();
            }
        });
    }
}

/** The events' list refreshes when an event it shows changes state (and nothing is
 * selected or being edited, so no click of the operator's is lost). */
export class ShopifyEventListController extends ListController {
    setup() {
        super.setup();
        useEventStateChanges(async (ids) => {
            const root = this.model.root;
            if (!root || root.selection.length || root.editedRecord) {
                return;
            }
            if (root.isGrouped || root.records.some((r) => ids.has(r.resId))) {
                await this.model.load();
            }
        });
    }
}

registry.category("views").add("shopify_event_form", {
    ...formView,
    Controller: ShopifyEventFormController,
});
registry.category("views").add("shopify_event_list", {
    ...listView,
    Controller: ShopifyEventListController,
});
